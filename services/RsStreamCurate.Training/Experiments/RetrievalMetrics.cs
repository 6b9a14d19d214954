namespace RsStreamCurate.Training.Experiments;

/// <summary>Retrieval recall and zero-shot classification accuracy from similarity matrices.</summary>
public static class RetrievalMetrics
{
    /// <summary>
    /// Returns the fraction of queries (rows of <paramref name="similarity"/>) for which at least one relevant
    /// item (column) is among the <paramref name="k"/> most similar. An item counts as within the top k when
    /// fewer than k items have a strictly higher similarity, so ties are resolved in the query's favour.
    /// Queries without any relevant item are left out of the fraction.
    /// </summary>
    /// <exception cref="ArgumentException">The matrices differ in shape, k is below 1, or no query has a relevant item.</exception>
    public static double RecallAtK(float[,] similarity, bool[,] relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentNullException.ThrowIfNull(relevant);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int queries = similarity.GetLength(0);
        int items = similarity.GetLength(1);
        if (relevant.GetLength(0) != queries || relevant.GetLength(1) != items)
        {
            throw new ArgumentException(
                $"The relevance matrix is {relevant.GetLength(0)} x {relevant.GetLength(1)} but the similarity matrix is {queries} x {items}.", nameof(relevant));
        }

        int hits = 0;
        int counted = 0;
        for (int q = 0; q < queries; q++)
        {
            // The best relevant item decides the hit; count the items ranked strictly above it.
            float best = float.NegativeInfinity;
            bool any = false;
            for (int i = 0; i < items; i++)
            {
                if (relevant[q, i])
                {
                    any = true;
                    best = Math.Max(best, similarity[q, i]);
                }
            }

            if (!any)
            {
                continue;
            }

            counted++;
            int above = 0;
            for (int i = 0; i < items; i++)
            {
                if (similarity[q, i] > best)
                {
                    above++;
                }
            }

            if (above < k)
            {
                hits++;
            }
        }

        if (counted == 0)
        {
            throw new ArgumentException("No query has a relevant item, so recall is undefined.", nameof(relevant));
        }

        return (double)hits / counted;
    }

    /// <summary>
    /// Returns the top-1 accuracy of zero-shot classification: each image (row) is assigned the class (column)
    /// with the highest similarity, the lower class index on a tie, and compared with <paramref name="labels"/>.
    /// </summary>
    public static double ZeroShotAccuracy(float[,] imageToClass, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(imageToClass);
        ArgumentNullException.ThrowIfNull(labels);
        int images = imageToClass.GetLength(0);
        int classes = imageToClass.GetLength(1);
        if (labels.Count != images || images == 0 || classes == 0)
        {
            throw new ArgumentException($"Expected one label per image and at least one image and class; got {labels.Count} labels for a {images} x {classes} matrix.", nameof(labels));
        }

        int correct = 0;
        for (int n = 0; n < images; n++)
        {
            int predicted = 0;
            for (int c = 1; c < classes; c++)
            {
                if (imageToClass[n, c] > imageToClass[n, predicted])
                {
                    predicted = c;
                }
            }

            if (predicted == labels[n])
            {
                correct++;
            }
        }

        return (double)correct / images;
    }

    /// <summary>Returns the dot products of every row of <paramref name="left"/> with every row of <paramref name="right"/>.</summary>
    public static float[,] DotProducts(float[][] left, float[][] right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var result = new float[left.Length, right.Length];
        for (int i = 0; i < left.Length; i++)
        {
            for (int j = 0; j < right.Length; j++)
            {
                if (left[i].Length != right[j].Length)
                {
                    throw new ArgumentException($"Row {i} of the left matrix has {left[i].Length} values but row {j} of the right matrix has {right[j].Length}; both sides must come from one embedding space.");
                }

                float sum = 0;
                for (int e = 0; e < left[i].Length; e++)
                {
                    sum += left[i][e] * right[j][e];
                }

                result[i, j] = sum;
            }
        }

        return result;
    }

    /// <summary>Returns the transpose of a matrix.</summary>
    public static T[,] Transpose<T>(T[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var result = new T[matrix.GetLength(1), matrix.GetLength(0)];
        for (int i = 0; i < matrix.GetLength(0); i++)
        {
            for (int j = 0; j < matrix.GetLength(1); j++)
            {
                result[j, i] = matrix[i, j];
            }
        }

        return result;
    }
}
